# mk/pipelines.mk — the command line in pipelines and batches: `statewave denoise - -o -`
# (standard input/output, WAV stream or --raw-format), --jobs N, --json (app/stdio_audio.c,
# app/jsonout.c, app/denoise.c). Its test; the code is built with the app (mk/app.mk).
TEST_SCRIPTS += tests/app/test_cli_pipes.py
