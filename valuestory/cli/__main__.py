from valuestory.cli import main

main()
