"""`python -m services.encounter worker -l warn`: the faust worker CLI (see `faust --help`)."""

from services.encounter.app import app

if __name__ == "__main__":
    app.main()
