"""What the bench, the reliability and the role tests share: the testbed instance, playbook runs, the emulators'
test endpoints and the write watch."""
