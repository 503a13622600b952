"""The voice line: Twilio Voice webhooks answered with TwiML; a recorded message becomes a grievance in triage."""
