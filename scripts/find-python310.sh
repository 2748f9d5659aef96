#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter (Rasa 3.6 needs it), or explain and fail.
set -u
try() { [[ -x "$1" ]] && "$1" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$1"; exit 0; }; }
[[ -n "${PYTHON310:-}" ]] && try "$PYTHON310"
for name in python3.10; do
  path=$(command -v "$name" 2>/dev/null) && try "$path"
done
if command -v pyenv >/dev/null 2>&1; then
  for path in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do try "$path"; done
fi
for path in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10; do try "$path"; done
for path in /usr/bin/python3.10 /usr/local/bin/python3.10 /opt/homebrew/bin/python3.10; do try "$path"; done
if command -v "${UV:-uv}" >/dev/null 2>&1; then
  path=$(UV_PYTHON_DOWNLOADS=never "${UV:-uv}" python find 3.10 2>/dev/null) && try "$path"
fi
if [[ "${UV_PYTHON_DOWNLOADS:-}" != "never" ]] && command -v "${UV:-uv}" >/dev/null 2>&1; then
  echo "Python 3.10 not found locally: installing it with uv" >&2
  "${UV:-uv}" python install 3.10 >&2 && path=$("${UV:-uv}" python find 3.10 2>/dev/null) && try "$path"
fi
echo "error: Python 3.10 not found; the NLU service (Rasa 3.6) needs it: install it (pyenv install 3.10, uv python install 3.10 or your OS package) or set PYTHON310=/path/to/python3.10" >&2
exit 1
