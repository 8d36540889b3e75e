"""Diagnostics for operators: live status over a unix socket, sd_notify/watchdog for systemd,
`kiosk doctor` self-checks, and writing the systemd unit."""
