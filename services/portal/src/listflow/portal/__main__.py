"""`python -m listflow.portal` runs the service (as every service's image does)."""

from listflow.portal.entrypoints.main import run

if __name__ == "__main__":
    run()
