#!/usr/bin/python3
"""Bayes by Backprop with the local reparameterization trick on digits.

The reference for govi's bnn benchmark (bench/bnn.sh): the 64-100-100-10
ReLU network (17,610 weights) with a mean-field Gaussian posterior
N(mu, sigma^2), sigma = exp(omega), and a N(0, 1) prior on every weight
and bias, trained by Adam on minibatches of 128 rows drawn without
replacement, the negative ELBO

    -ELBO = -(N/|B|) sum_{i in B} log softmax(z_i)[y_i] + KL(q || p)

with the pre-activations z drawn by the local reparameterization trick
(Kingma, Salimans & Welling 2015): z = gamma + sqrt(delta) * eps,
gamma = a mu_W + mu_b, delta = a^2 sigma_W^2 + sigma_b^2, and the KL in
closed form (Blundell et al. 2015, "Weight uncertainty in neural
networks").

It reports training throughput (examples/s) at torch.set_num_threads(1)
and (2), and the held-out accuracy and test log-likelihood (log of the
class probability averaged over 1000 weight draws, per row, averaged) of
a run of 200 epochs with Adam's step 1e-3, as the Go test TestDigits
trains. The split is the same as the Go test's: rows i with
i % 5 == 0 (360) are held out, the other 1437 train; inputs are
standardized with the training rows' means and sds.

Run it with Debian's python3 (python3-torch): /usr/bin/python3 bench/bbb_digits.py
"""
import argparse
import csv
import math
import os
import sys
import time

import torch


def load(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = rows[0]
    lab = head.index("label")
    x = [[float(v) for j, v in enumerate(r) if j != lab] for r in rows[1:]]
    y = [int(float(r[lab])) for r in rows[1:]]
    return torch.tensor(x, dtype=torch.float64), torch.tensor(y)


class BayesLinear(torch.nn.Module):
    def __init__(self, n_in, n_out, gen):
        super().__init__()
        sd = math.sqrt(2.0 / n_in)  # He et al. (2015)
        self.w_mu = torch.nn.Parameter(torch.randn(n_in, n_out, generator=gen) * sd)
        self.b_mu = torch.nn.Parameter(torch.zeros(n_out))
        init = math.log(0.01 / math.sqrt(n_in))  # as govi's InitSD
        self.w_om = torch.nn.Parameter(torch.full((n_in, n_out), init))
        self.b_om = torch.nn.Parameter(torch.full((n_out,), init))

    def forward(self, a):
        gamma = a @ self.w_mu + self.b_mu
        delta = (a * a) @ torch.exp(2 * self.w_om) + torch.exp(2 * self.b_om)
        return gamma + torch.sqrt(delta) * torch.randn_like(gamma)

    def sample_forward(self, a):
        w = self.w_mu + torch.exp(self.w_om) * torch.randn_like(self.w_mu)
        b = self.b_mu + torch.exp(self.b_om) * torch.randn_like(self.b_mu)
        return a @ w + b

    def kl(self):
        # KL(N(mu, s^2) || N(0, 1)) = -log s + (s^2 + mu^2)/2 - 1/2
        k = 0.0
        for mu, om in ((self.w_mu, self.w_om), (self.b_mu, self.b_om)):
            k = k + (-om + 0.5 * (torch.exp(2 * om) + mu * mu) - 0.5).sum()
        return k


class Net(torch.nn.Module):
    def __init__(self, sizes, gen):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            BayesLinear(a, b, gen) for a, b in zip(sizes[:-1], sizes[1:]))

    def forward(self, x, sample=False):
        for i, l in enumerate(self.layers):
            x = l.sample_forward(x) if sample else l(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x

    def kl(self):
        return sum(l.kl() for l in self.layers)


def train(net, x, y, epochs, batch, lr, seed):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    n = x.shape[0]
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for lo in range(0, n, batch):
            idx = perm[lo:lo + batch]
            z = net(x[idx])
            ll = torch.log_softmax(z, dim=1).gather(1, y[idx, None]).sum()
            loss = -(n / len(idx)) * ll + net.kl()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def evaluate(net, x, y, draws):
    with torch.no_grad():
        p = torch.zeros(x.shape[0], 10, dtype=x.dtype)
        for _ in range(draws):
            p += torch.softmax(net(x, sample=True), dim=1)
        p /= draws
        acc = (p.argmax(1) == y).double().mean().item()
        ll = torch.log(p.gather(1, y[:, None])).mean().item()
    return acc, ll


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "digits.csv"))
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--speed-epochs", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-accuracy", action="store_true")
    a = ap.parse_args()
    if not os.path.exists(a.data):
        sys.exit("bbb_digits.py: %s not found (pass --data)" % a.data)
    dt = torch.float32 if a.dtype == "float32" else torch.float64
    torch.set_default_dtype(dt)
    x, y = load(a.data)
    held = torch.arange(x.shape[0]) % 5 == 0
    xtr, ytr, xte, yte = x[~held], y[~held], x[held], y[held]
    mean, sd = xtr.mean(0), xtr.std(0, unbiased=False)
    sd[sd < 1e-12] = 1
    xtr, xte = ((xtr - mean) / sd).to(dt), ((xte - mean) / sd).to(dt)
    sizes = [64, 100, 100, 10]
    print("torch %s, %s, network %s, %d training rows, batches of 128" % (torch.__version__, a.dtype, "-".join(map(str, sizes)), xtr.shape[0]))
    for threads in (1, 2):
        torch.set_num_threads(threads)
        torch.manual_seed(a.seed)
        net = Net(sizes, torch.Generator().manual_seed(a.seed))
        train(net, xtr, ytr, 2, 128, a.lr, a.seed)  # warm up
        t0 = time.perf_counter()
        train(net, xtr, ytr, a.speed_epochs, 128, a.lr, a.seed)
        sec = time.perf_counter() - t0
        print("threads %d: %.0f examples/s (%d epochs in %.2f s)" % (threads, a.speed_epochs * xtr.shape[0] / sec, a.speed_epochs, sec))
    if a.no_accuracy:
        return
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    net = Net(sizes, torch.Generator().manual_seed(a.seed))
    t0 = time.perf_counter()
    train(net, xtr, ytr, a.epochs, 128, a.lr, a.seed)
    sec = time.perf_counter() - t0
    acc, ll = evaluate(net, xte, yte, 1000)
    print("%d epochs (lr %g) in %.1f s: held-out accuracy %.4f, test log-likelihood %.4f per row" % (a.epochs, a.lr, sec, acc, ll))


if __name__ == "__main__":
    main()
