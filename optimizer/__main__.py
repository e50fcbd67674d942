import sys

from optimizer.cli.main import main

sys.exit(main())
