"""``python -m infra.bench``: the benchmark's command line (and its issuer processes, ``--issuer``)."""

from infra.bench.run import main

main()
