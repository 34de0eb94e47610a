"""What every process shares about agencies; imports nothing of Hamyar (see DESIGN.md)."""
