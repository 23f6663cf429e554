"""pip install ./python — the statewave package (pure Python over libstatewave.so, ctypes).

Only setuptools (Debian: python3-setuptools) is needed to build, and nothing is downloaded: there
is deliberately no pyproject.toml build-system table, so pip builds with the setuptools already
installed (no isolated build environment to fill from an index).

When the repository has been built (`make`), the library (build/libstatewave.so) and the shipped
denoise model (presets/denoise.safetensors) are copied into the package, which then works on its
own; otherwise the package finds them at run time ($STATEWAVE_LIB, `make install`'s prefix).
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUNDLE = [
    (os.environ.get("STATEWAVE_LIB") or os.path.join(ROOT, "build", "libstatewave.so"), "libstatewave.so"),
    (os.path.join(ROOT, "presets", "denoise.safetensors"), "denoise.safetensors"),
]


class build_py_bundle(build_py):
    def run(self):
        super().run()
        dst = os.path.join(self.build_lib, "statewave")
        for src, name in BUNDLE:
            if os.path.isfile(src):
                shutil.copyfile(src, os.path.join(dst, name))
                print(f"statewave: bundled {src} as statewave/{name}")


setup(
    name="statewave",
    version="0.1.0",
    description="Causal state-space-model audio engines (denoiser, generator, instrument) over libstatewave",
    license="MIT",
    packages=["statewave"],
    python_requires=">=3.9",
    install_requires=["numpy"],
    extras_require={"batch": ["distributed", "soundfile"]},
    entry_points={"console_scripts": ["statewave-batch = statewave.batch:main"]},
    cmdclass={"build_py": build_py_bundle},
    zip_safe=False,
)
