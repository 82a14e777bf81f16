"""Walking autograd graphs (grad_fn nodes) the way the tutorials describe them."""


def leaves(grad_fn):
    """The tensors at the AccumulateGrad leaves below a graph node, depth first."""
    found, stack = [], [grad_fn]
    while stack:
        node = stack.pop()
        if hasattr(node, "variable"):
            found.append(node.variable)
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return found
