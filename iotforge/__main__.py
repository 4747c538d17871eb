import sys

from iotforge.cli import main

sys.exit(main())
