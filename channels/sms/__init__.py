"""The SMS channel: commands, the conversation, and Twilio's webhook protocol."""
