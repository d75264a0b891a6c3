"""The row-by-row import as it was before the columnar one (commit 32672ca), kept verbatim
except for its imports, as the oracle of the differential test (tests/test_ingest_columnar.py):
the product imports with ``creditfarm.ingest``; this package exists only to say what that
import must give. Do not use it anywhere else, and do not change its behaviour."""
