from iotforge.cli import run

run()
