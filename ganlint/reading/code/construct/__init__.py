"""A small abstract interpreter for model construction (syntax tree only: nothing is imported or run).

It evaluates what builds a network: `__init__`, helper functions and nested defs, list building
(append/extend/+=, `*block(...)`), loops over sizes, comprehensions, conditionals on known values and
arithmetic such as `int(np.prod(img_shape))`, with constants from argparse/click/absl defaults, module
constants, constructor defaults and the file's call sites (`Generator(opt)`, `Generator(nz, ngf)`).

- `values.py`: the abstract values (Unknown, a config namespace, nn classes, user functions, instances).
- `layers.py`: torch.nn layer kinds and the parameter count of each layer from its arguments.
- `evaluator.py`: expressions and statements, with a step budget that keeps the cost linear.
- `module.py`: a module's constants, flag defaults, call sites and module-level networks.

Unknown stays unknown: a width or a count is given only when every value it depends on is known.
"""
