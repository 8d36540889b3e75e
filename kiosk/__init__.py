"""kiosk: an offline bilingual voice kiosk for Hanyang University's Aeji Gate."""

import os as _os

__version__ = "0.1.0"

# llama.cpp's OpenMP threads spin at every barrier inside a token. With another process on one
# of the two cores, a spinning thread waits for one that is descheduled: 32 tokens took 1.4-1.9 s
# beside one CPU hog instead of 0.5 s, and 14-39 s when the host itself was busy. Passive
# waiting sleeps instead: 0.83-1.0 s quiet, 0.86-1.26 s beside a hog, never a collapse (2-core
# VM, 2026-12-01, interleaved runs; docs/performance.md). Set before llama.cpp's libgomp loads;
# an operator's own OMP_WAIT_POLICY (ACTIVE for a machine with cores to spare) wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
