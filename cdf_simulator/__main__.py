"""`python -m cdf_simulator --port 8765`: the simulator without the project's main CLI."""

from .cli import main

if __name__ == "__main__":
    main()
