"""`python -m ganlint ...` = the `ganlint` command."""
from ganlint.cli import main

if __name__ == "__main__":
    main()
