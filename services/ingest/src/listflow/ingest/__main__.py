"""`python -m listflow.ingest` runs the service.

Start it this way rather than as `-m listflow.ingest.entrypoints.main`: multiprocessing's
spawn re-imports the main module in every row-checker process unless it is a package's
`__main__`, and importing the whole service there costs seconds and ~40 MB per worker.
"""

from listflow.ingest.entrypoints.main import run

if __name__ == "__main__":
    run()
