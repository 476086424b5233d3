"""`python -m listflow.campaigns` runs the service (as every service's image does)."""

from listflow.campaigns.entrypoints.main import run

if __name__ == "__main__":
    run()
