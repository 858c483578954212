"""The popular-tunes dashboard: the tunes played most often at a session (read model
``music_popular_tunes``), with play counts and the last date each was played."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from infra.api.auth import bearer
from infra.api.context import ContainerDep, read_now
from infra.api.music.common import FromDate, MusicDep, ToDate, check_range
from infra.api.problems import responses
from projections.music.popular_tunes import popular_tunes

router = APIRouter(
    prefix="/music", tags=["music dashboards"], dependencies=[Depends(bearer)], responses=responses(401, 404, 422, 503)
)


class PopularTuneOut(BaseModel):
    """A tune (its thesession.org id, else its name) with how often it was played at instances dated in
    the range, at how many instances, and the last local date it was played."""

    tune_id: int | None
    name: str | None
    plays: int
    instances: int
    last_played: date


@router.get("/sessions/{session_id}/tunes/popular")
async def popular(
    session_id: UUID,
    music: MusicDep,
    container: ContainerDep,
    start: FromDate = None,
    end: ToDate = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many tunes.")] = 50,
) -> list[PopularTuneOut]:
    """Most played first, then the most recently played; cancelled and deleted instances do not count."""
    check_range(start, end)
    music.get_session(session_id)  # 404 for an unknown session
    rows = await read_now(container, lambda cur: popular_tunes(cur, session_id, start, end, limit))
    return [PopularTuneOut(**row) for row in rows]
