"""`python -m doctor` runs the chat-doctor command line."""

from doctor.cli import script

if __name__ == "__main__":
    script()
