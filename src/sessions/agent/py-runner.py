# A spare Python interpreter (see agent.mjs): loaded ahead of its exec, it reads the code from fd 3
# and runs it as `python3 -c` would (as __main__); an uncaught exception exits 1 with a traceback.
import os
import sys

os.write(3, b'r')
_chunks = []
while True:
    _c = os.read(3, 65536)
    if not _c:
        break
    _chunks.append(_c)
os.close(3)
_code = b''.join(_chunks).decode('utf-8')
del _chunks, _c
sys.argv = ['-c']
sys.path[0] = ''  # as under `python3 -c`: imports resolve from the working directory
_globals = {'__name__': '__main__', '__builtins__': __builtins__}
exec(compile(_code, '<exec>', 'exec'), _globals)
