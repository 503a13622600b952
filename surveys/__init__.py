"""Post-service SMS surveys: deliveries, invitations, reply parsing and follow-up grievances."""
