"""`python -m services.settlement worker -l warn`: the faust worker CLI (see `faust --help`)."""

from services.settlement.app import app

if __name__ == "__main__":
    app.main()
