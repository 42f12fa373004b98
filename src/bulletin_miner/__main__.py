from bulletin_miner.cli import app

app()
