"""What chat-doctor knows, as data: diagnosis codes and fixes, urllib3 releases, API errors."""
