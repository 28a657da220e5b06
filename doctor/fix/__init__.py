"""`chat-doctor fix`: plan (pure, `plan`, `choose_urllib3`), the target's pip facts (`target`),
running the steps (`apply`) and the command's flow (`flow`)."""
