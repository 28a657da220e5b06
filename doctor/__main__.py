"""`python -m doctor` runs the chat-doctor command line."""

from doctor.cli import main

if __name__ == "__main__":
    main()
