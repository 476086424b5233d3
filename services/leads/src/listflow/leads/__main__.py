"""`python -m listflow.leads` runs the service (as every service's image does)."""

from listflow.leads.entrypoints.main import run

if __name__ == "__main__":
    run()
