"""`python -m services.clearing worker -l warn`: the faust worker CLI (see `faust --help`)."""

from services.clearing.app import app

if __name__ == "__main__":
    app.main()
