import sys

from idf.cli import main

sys.exit(main())
