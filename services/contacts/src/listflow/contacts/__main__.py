"""`python -m listflow.contacts` runs the service (as every service's image does)."""

from listflow.contacts.entrypoints.main import run

if __name__ == "__main__":
    run()
