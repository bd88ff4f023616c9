"""pytest plugin for deployment checks (fixtures arrive with the entry-points work).

Kept cheap to import: pytest loads it in every session of every project that installs
gitopslib.
"""

from __future__ import annotations
