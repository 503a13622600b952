"""From a grievance to the office that can act on it: the directory, routing policy, triage and transfers."""
