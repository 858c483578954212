"""The music demo runs against the service: auto-create across the DST switch, the active window, a
tune log of three sets from HTTP and an offline phone on Kafka, one move, and the popular tunes."""

from __future__ import annotations

from consumers.music.clock import tick_report


def test_the_music_demo_runs_and_shows_what_it_promises(http, container):
    from infra.cli import demo_music

    shown = demo_music.run(
        http, bootstrap=container.endpoints.kafka_bootstrap, topic_prefix=container.settings.topic_prefix,
        tick=lambda at: tick_report(container.music.tick(at)),
    )  # fmt: skip

    dates = [(i["date"], i["start"], i["auto_created"], i["is_active"]) for i in shown["instances"]]
    assert dates == [
        ("2025-10-26", "2025-10-27T00:00:00Z", True, False),
        ("2025-11-02", "2025-11-03T01:00:00Z", True, True),
    ]
    assert [(e["set_index"], e["name"]) for e in shown["tunes"]] == [
        (0, "The Kesh"), (0, "The Silver Spear"), (0, "Out on the Ocean"),
        (1, "Banish Misfortune"), (1, "Tobin's"),
        (2, "Cooley's"), (2, "The Maid Behind the Bar"), (2, "Drowsy Maggie"),
    ]  # fmt: skip
    top = {t["name"]: (t["plays"], t["last_played"]) for t in shown["popular"]}
    assert top["The Kesh"] == (2, "2025-11-02") and top["Banish Misfortune"] == (1, "2025-11-02")
