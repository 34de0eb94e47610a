"""The call-centre desk: staff users, the audit log, handoffs, call-backs and handoff codes."""
