"""PyTorch's optimizers stepped with given gradients, for the optimizer parity tests: reads a JSON file with the
optimizer's name and settings, the starting weights and one gradient per step, and prints the weights after each
step. Runs in float64, so the differences the test sees are Unrolled's float32 rounding and the two libraries'
formulas (the tests pick an epsilon small enough that where each library adds it does not show)."""
import json
import sys

import torch


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    w = torch.nn.Parameter(torch.tensor(case["weights"], dtype=torch.float64))
    s = case["settings"]
    name = case["name"]
    if name == "adamw":
        opt = torch.optim.AdamW([w], lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"], weight_decay=s["weight_decay"])
    elif name == "adagrad":
        opt = torch.optim.Adagrad([w], lr=s["lr"], initial_accumulator_value=s["initial"], eps=s["eps"])
    elif name == "adadelta":
        opt = torch.optim.Adadelta([w], lr=s["lr"], rho=s["rho"], eps=s["eps"])
    elif name == "adamax":
        opt = torch.optim.Adamax([w], lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"])
    else:
        raise ValueError("unknown optimizer " + name)
    steps = []
    for g in case["gradients"]:
        opt.zero_grad()
        w.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        steps.append(w.detach().tolist())
    print(json.dumps({"steps": steps, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
