"""`python -m services.registration worker -l warn`: the faust worker CLI (see `faust --help`)."""

from services.registration.app import app

if __name__ == "__main__":
    app.main()
