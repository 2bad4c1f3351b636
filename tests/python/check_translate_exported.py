#!/usr/bin/python3
"""CTest check: the Python example (translate_exported.py) prints the same
translations as `s2s translate --model model.pt` (and as the training
directory itself), greedy and with a beam.

    check_translate_exported.py S2S_BINARY S2S_TESTS_BINARY

Exits 77 (skipped) when this Python has no torch or sentencepiece.
"""
import os
import subprocess
import sys
import tempfile

try:
    import sentencepiece  # noqa: F401
    import torch  # noqa: F401
except ImportError as error:
    print(f"skipped: {error} (apt-get install python3-torch python3-sentencepiece)")
    sys.exit(77)

SENTENCES = ["sol luna mar", "casa", "río flor lobo ojo mano pie", "", "cielo nube roca",
             "pez vino pan sol luna mar casa río", "mano"]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout


def main():
    s2s, s2s_tests = sys.argv[1], sys.argv[2]
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "translate_exported.py")
    with tempfile.TemporaryDirectory(prefix="s2s_python_export_") as tmp:
        run_dir = os.path.join(tmp, "run")
        model = os.path.join(tmp, "model.pt")
        inputs = os.path.join(tmp, "input.txt")
        with open(inputs, "w", encoding="utf-8") as f:
            f.write("\n".join(SENTENCES) + "\n")
        run([s2s_tests, "[.export_fixture]"], env=dict(os.environ, S2S_EXPORT_FIXTURE_DIR=run_dir))
        run([s2s, "export", "--model", run_dir, "--out", model])
        failures = 0
        for beam in ("1", "5"):
            exported = run([s2s, "translate", "--model", model, "--beam", beam, "--input", inputs])
            native = run([s2s, "translate", "--model", run_dir, "--beam", beam, "--input", inputs])
            python = run([sys.executable, example, model, "--beam", beam, "--input", inputs])
            for name, text in (("s2s translate --model model.pt", exported), ("s2s translate --model RUN_DIR", native)):
                if python != text:
                    failures += 1
                    print(f"beam {beam}: Python example differs from {name}:\n--- python\n{python}--- s2s\n{text}")
            if len(python.splitlines()) != len(SENTENCES):
                failures += 1
                print(f"beam {beam}: expected {len(SENTENCES)} lines, got:\n{python}")
        if failures:
            sys.exit(1)
        print("Python example and s2s translate agree on", len(SENTENCES), "sentences, beam 1 and 5")


if __name__ == "__main__":
    main()
