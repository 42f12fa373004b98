from bulletin_miner.cli import main

# guarded: a Dask worker process started by spawn imports this module again
if __name__ == "__main__":
    main()
