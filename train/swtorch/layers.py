"""Statewave layers in PyTorch: parallel (training) form + reference recurrent step.

Every class mirrors one layer type of dsp/FORMAT.md. Parameter names and shapes are exactly
the FORMAT.md tensor names (`<param>` in `<layer name>.<param>`), so a layer's state_dict()
keys are its tensor names. Tensors are (batch, time, features) throughout.

Common interface (SWLayer):
    forward(u)              u [B, T, d_in] -> y [B, T, d_out]   parallel form (what training uses)
    init_state(batch, like) -> state                            all-zero recurrent state
    step(u_t, state)        u_t [B, d_in] -> (y_t [B, d_out], state)   reference recurrent form
    setup_step()            precompute discretized parameters for step() (S4's setup_rnn idea);
                            Net.init_state() calls it, so a fresh state always sees current weights.

The step() path is a reference used to check parallel == recurrent and to benchmark PyTorch's
recurrent speed against the C library; it is not meant to be fast.

References (equation numbers as in the papers):
  S4D   Gu et al. 2022, "On the Parameterization and Initialization of Diagonal State Space Models".
  LRU   Orvieto et al. 2023, "Resurrecting Recurrent Neural Networks for Long Sequences".
  S5    Smith et al. 2023, "Simplified State Space Layers for Sequence Modeling".
  Mamba Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces".
  SaShiMi Goel et al. 2022, "It's Raw! Audio Generation with State-Space Models" (pooling).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------- helpers --

def _cplx(re, im):
    """Complex tensor from the split _re/_im storage FORMAT.md uses."""
    return torch.complex(re, im)


def fft_causal_conv(u, k):
    """Causal convolution y[t] = sum_{j<=t} k[t-j] u[j] along dim 1, via FFT zero-padded to 2L.

    u: [B, L, C] (real or complex), k: [L, C] (real or complex; kernel length <= L).
    Zero padding to 2L turns the FFT's circular convolution into a linear one, so no
    output sample sees the future (S4 paper, Sec. 3.3 "convolution via FFT").
    """
    L = u.shape[1]
    n = 2 * L
    if u.is_complex() or k.is_complex():
        U = torch.fft.fft(u, n=n, dim=1)
        K = torch.fft.fft(k, n=n, dim=0)
        return torch.fft.ifft(U * K.unsqueeze(0), n=n, dim=1)[:, :L]
    U = torch.fft.rfft(u, n=n, dim=1)
    K = torch.fft.rfft(k, n=n, dim=0)
    return torch.fft.irfft(U * K.unsqueeze(0), n=n, dim=1)[:, :L]


def _powers(log_lam, L):
    """lam^l for l = 0..L-1 as exp(l * log lam): [..., L]. Exact for integer l on any branch of log."""
    ell = torch.arange(L, dtype=log_lam.real.dtype, device=log_lam.device)
    return torch.exp(log_lam.unsqueeze(-1) * ell)


def _uniform_log(shape, lo, hi):
    """log of a log-uniform sample in [lo, hi] (the log_dt / log_step init of S4D and S5)."""
    return torch.rand(shape) * (math.log(hi) - math.log(lo)) + math.log(lo)


class SWLayer(nn.Module):
    """Base: records type/name and widths; stateless layers keep the default step/state."""
    kind = None

    def __init__(self, name, d_in, d_out):
        super().__init__()
        self.sw_name = name
        self.d_in = int(d_in)
        self.d_out = int(d_out)

    def init_state(self, batch, like):
        return None

    def setup_step(self):
        pass

    def step(self, u, state):
        return self.forward(u.unsqueeze(1)).squeeze(1), state


# -------------------------------------------------------------------------- glue layers --

class Linear(SWLayer):
    """`linear`: y = W u + b (W [d_out, d_in], PyTorch layout)."""
    kind = "linear"

    def __init__(self, d_in, d_out, bias=True, name=None):
        super().__init__(name, d_in, d_out)
        lin = nn.Linear(d_in, d_out, bias=bias)           # PyTorch's default (Kaiming-uniform) init
        self.weight = lin.weight
        self.bias = lin.bias if bias else None

    def forward(self, u):
        return F.linear(u, self.weight, self.bias)


class CausalConv1d(SWLayer):
    """`conv1d`: causal depthwise y_t = sum_k w[k] u_{t-K+1+k} + b, zeros before t = 0.

    weight [d, K], bias [d]. Init as nn.Conv1d(groups=d): U(-1/sqrt(K), 1/sqrt(K)).
    Also used inside Mamba (its `conv1d.weight [E, K]`, `conv1d.bias [E]`).
    """
    kind = "conv1d"

    def __init__(self, d, kernel, name=None):
        super().__init__(name, d, d)
        self.kernel = int(kernel)
        bound = 1.0 / math.sqrt(kernel)
        self.weight = nn.Parameter(torch.empty(d, kernel).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(d).uniform_(-bound, bound))

    def forward(self, u):
        x = F.pad(u.transpose(1, 2), (self.kernel - 1, 0))           # left zero padding: causal
        y = F.conv1d(x, self.weight.unsqueeze(1), self.bias, groups=self.d_in)
        return y.transpose(1, 2)

    def init_state(self, batch, like):
        return like.new_zeros(batch, self.d_in, self.kernel - 1)      # last K-1 inputs, oldest first

    def step(self, u, state):
        window = torch.cat([state, u.unsqueeze(-1)], dim=-1)         # [B, d, K]
        y = (window * self.weight).sum(-1) + self.bias
        return y, window[:, :, 1:]


class Norm(SWLayer):
    """`norm`: RMSNorm u/sqrt(mean u^2 + eps)*w, or LayerNorm (u-mu)/sqrt(var+eps)*w+b (biased var)."""
    kind = "norm"

    def __init__(self, d, kind="rms", eps=1e-5, name=None):
        super().__init__(name, d, d)
        if kind not in ("rms", "layer"):
            raise ValueError("norm kind must be 'rms' or 'layer', not %r" % (kind,))
        self.norm_kind = kind
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d)) if kind == "layer" else None

    def forward(self, u):
        if self.norm_kind == "rms":
            return u * torch.rsqrt(u.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        mu = u.mean(-1, keepdim=True)
        var = (u - mu).pow(2).mean(-1, keepdim=True)
        return (u - mu) * torch.rsqrt(var + self.eps) * self.weight + self.bias


_ACTS = {
    "gelu": lambda x: F.gelu(x),          # erf form (PyTorch's default approximate='none')
    "silu": F.silu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": F.relu,
}


class Act(SWLayer):
    """`act`: elementwise gelu (erf) / silu / tanh / sigmoid / relu."""
    kind = "act"

    def __init__(self, d, fn, name=None):
        super().__init__(name, d, d)
        if fn not in _ACTS:
            raise ValueError("act fn must be one of %s, not %r" % (sorted(_ACTS), fn))
        self.fn = fn

    def forward(self, u):
        return _ACTS[self.fn](u)


class GLU(SWLayer):
    """`glu`: y = a * sigmoid(b), [a, b] = first/second half of u; d_out = d_in / 2."""
    kind = "glu"

    def __init__(self, d_in, name=None):
        if d_in % 2:
            raise ValueError("glu d_in must be even, got %d" % d_in)
        super().__init__(name, d_in, d_in // 2)

    def forward(self, u):
        a, b = u.chunk(2, dim=-1)
        return a * torch.sigmoid(b)


class Embedding(SWLayer):
    """`embedding`: index = clamp(round-half-even(u_0), 0, n-1); y = weight[index]. d_in = 1.

    torch.round rounds half to even like C's lrint() in the default rounding mode. Clamping
    happens on the float before rounding so huge inputs cannot overflow the integer cast.
    Not differentiable w.r.t. u (the input is a token index).
    """
    kind = "embedding"

    def __init__(self, n, d, name=None):
        super().__init__(name, 1, d)
        self.n = int(n)
        self.weight = nn.Parameter(torch.randn(n, d))          # nn.Embedding's N(0, 1) init

    def forward(self, u):
        idx = torch.round(u[..., 0].clamp(0, self.n - 1)).long()
        return self.weight[idx]


def run_seq(mods, u):
    for m in mods:
        u = m(u)
    return u


def init_seq_state(mods, batch, like):
    return [m.init_state(batch, like) for m in mods]


def step_seq(mods, u, states):
    new = []
    for m, s in zip(mods, states):
        u, s = m.step(u, s)
        new.append(s)
    return u, new


class Residual(SWLayer):
    """`residual`: y = u + f(u), f = the inner list (pre-norm = a `norm` first inside).

    The inner modules are kept in a plain list (not registered here): Net registers every
    named layer at top level so that state_dict keys are exactly `<name>.<param>`.
    """
    kind = "residual"

    def __init__(self, inner, d, name=None):
        super().__init__(name, d, d)
        self.inner = list(inner)

    def forward(self, u):
        return u + run_seq(self.inner, u)

    def init_state(self, batch, like):
        return init_seq_state(self.inner, batch, like)

    def setup_step(self):
        for m in self.inner:
            m.setup_step()

    def step(self, u, state):
        y, state = step_seq(self.inner, u, state)
        return u + y, state


class Pool(SWLayer):
    """`pool`: SaShiMi-style multi-rate stage (Goel et al. 2022, Sec. 3.2 down/up pooling).

    Parallel form: block k = u_{kp..kp+p-1} flattened frame-major (index j*d + h),
    z_k = inner(down(block_k)) at the low rate on width d*e, v_k = up(z_k) split back into p
    frames, output y_{(k+1)p+j} = v_k[j] and y_t = 0 for t < p (the one-block causal shift of
    SaShiMi's UpPool). T need not be a multiple of p: we zero-pad at the end and crop (causality
    means the padding only affects outputs past T).

    Step form: frame t = kp + j first emits y_t = v_{k-1}[j] (0 in block 0), then is stored; when
    the p-th frame of a block arrives the inner network steps once and v_k is computed.
    """
    kind = "pool"

    def __init__(self, d, factor, expand, inner, name=None):
        super().__init__(name, d, d)
        self.factor = int(factor)
        self.expand = int(expand)
        p, e = self.factor, self.expand
        self.down = nn.Linear(p * d, d * e)
        self.up = nn.Linear(d * e, p * d)
        self.inner = list(inner)

    def forward(self, u):
        B, T, d = u.shape
        p = self.factor
        pad = (-T) % p
        if pad:
            u = F.pad(u, (0, 0, 0, pad))
        K = u.shape[1] // p
        z = self.down(u.reshape(B, K, p * d))          # frame-major flatten: index j*d + h
        z = run_seq(self.inner, z)
        v = self.up(z).reshape(B, K * p, d)
        y = torch.cat([v.new_zeros(B, p, d), v[:, :-p]], dim=1)    # shift by one block
        return y[:, :T]

    def init_state(self, batch, like):
        p, d = self.factor, self.d_in
        return {"t": 0,
                "inbuf": like.new_zeros(batch, p, d),     # frames of the current block
                "outbuf": like.new_zeros(batch, p, d),    # v_{k-1}, released one frame per step
                "inner": init_seq_state(self.inner, batch, like)}

    def setup_step(self):
        for m in self.inner:
            m.setup_step()

    def step(self, u, state):
        p = self.factor
        j = state["t"] % p
        y = state["outbuf"][:, j].clone()
        inbuf = state["inbuf"].clone()
        inbuf[:, j] = u
        outbuf, inner = state["outbuf"], state["inner"]
        if j == p - 1:
            B = u.shape[0]
            z, inner = step_seq(self.inner, self.down(inbuf.reshape(B, -1)), inner)
            outbuf = self.up(z).reshape(B, p, self.d_in)
        return y, {"t": state["t"] + 1, "inbuf": inbuf, "outbuf": outbuf, "inner": inner}


# ---------------------------------------------------------------------------- SSM layers --

class _DiagSSM(SWLayer):
    """Shared recurrent step for the diagonal complex SSMs (S4D, LRU, S5).

    Subclasses provide discrete() -> (lam_bar [..], B_bar, C) and implement the step math;
    setup_step() caches discrete() without gradients.
    """

    def setup_step(self):
        with torch.no_grad():
            self._disc = tuple(t.detach().clone() for t in self.discrete())

    def _cached(self):
        if getattr(self, "_disc", None) is None or self._disc[0].real.dtype != self.D.dtype:
            self.setup_step()
        return self._disc


class S4D(_DiagSSM):
    """`s4d`: diagonal SSM per channel (S4D paper), H channels x N complex modes.

    A = -exp(log_A_real) + i A_imag, dt = exp(log_dt).
    ZOH (S4D eq. 5 / Sec. 3.1):      A_bar = exp(dt A),               B_bar = (exp(dt A) - 1)/A * B
    bilinear (S4D Sec. 3.1):         A_bar = (1 + dt A/2)/(1 - dt A/2), B_bar = dt/(1 - dt A/2) * B
    Recurrence: x_t = A_bar x_{t-1} + B_bar u_t,  y_t = 2 Re(sum_n C_n x_t,n) + D u_t
    Parallel: the SSM convolution kernel K_l = 2 Re(sum_n C_n B_bar_n A_bar_n^l)
    (S4D eq. 6, Vandermonde form) applied by FFT convolution.
    Init S4D-Lin: A_n = -1/2 + i pi n; log_dt ~ U[log 1e-3, log 1e-1]; B = 1; C ~ CN(0, 1); D ~ N(0, 1).
    """
    kind = "s4d"

    def __init__(self, d, n, disc="zoh", name=None, dt_min=1e-3, dt_max=1e-1):
        super().__init__(name, d, d)
        if disc not in ("zoh", "bilinear"):
            raise ValueError("s4d disc must be 'zoh' or 'bilinear', not %r" % (disc,))
        H, N = d, n
        self.n, self.disc = int(n), disc
        self.log_dt = nn.Parameter(_uniform_log(H, dt_min, dt_max))
        self.log_A_real = nn.Parameter(torch.full((H, N), math.log(0.5)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(N, dtype=torch.float32).repeat(H, 1))
        self.B_re = nn.Parameter(torch.ones(H, N))
        self.B_im = nn.Parameter(torch.zeros(H, N))
        self.C_re = nn.Parameter(torch.randn(H, N) * math.sqrt(0.5))
        self.C_im = nn.Parameter(torch.randn(H, N) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.randn(H))

    def _dtA(self):
        dt = torch.exp(self.log_dt).unsqueeze(-1)                      # [H, 1]
        A = _cplx(-torch.exp(self.log_A_real), self.A_imag)             # [H, N]
        return dt, A, dt * A

    def discrete(self):
        dt, A, dtA = self._dtA()
        B = _cplx(self.B_re, self.B_im)
        if self.disc == "zoh":
            A_bar = torch.exp(dtA)
            B_bar = (A_bar - 1) / A * B
        else:
            A_bar = (1 + dtA / 2) / (1 - dtA / 2)
            B_bar = dt / (1 - dtA / 2) * B
        return A_bar, B_bar, _cplx(self.C_re, self.C_im)

    def kernel(self, L):
        """K [L, H] real: K_l = 2 Re(sum_n C_n B_bar_n A_bar_n^l)."""
        A_bar, B_bar, C = self.discrete()
        log_A_bar = self._dtA()[2] if self.disc == "zoh" else torch.log(A_bar)
        V = _powers(log_A_bar, L)                                        # [H, N, L]
        K = 2 * torch.einsum("hn,hnl->hl", C * B_bar, V).real
        return K.transpose(0, 1)

    def forward(self, u):
        return fft_causal_conv(u, self.kernel(u.shape[1])) + u * self.D

    def init_state(self, batch, like):
        return torch.zeros(batch, self.d_in, self.n, dtype=_cdtype(like), device=like.device)

    def step(self, u, x):
        A_bar, B_bar, C = self._cached()
        x = A_bar * x + B_bar * u.unsqueeze(-1)
        y = 2 * (C * x).sum(-1).real + self.D * u
        return y, x


def _cdtype(like):
    return torch.complex128 if like.dtype == torch.float64 else torch.complex64


def _diag_state_forward(u, lam_bar, log_lam_bar, B_bar, C, D, c):
    """Shared parallel form of LRU/S5: x_t = lam_bar * x_{t-1} + B_bar u_t, y = c Re(C x) + D u.

    The state sequence is the causal convolution of v = B_bar u with the per-mode kernel
    lam_bar^l (the diagonal SSM convolution kernel), done by FFT; then y_t = c Re(C x_t) + D u_t.
    u [B, L, H], lam_bar [P], B_bar [P, H], C [H, P].
    """
    L = u.shape[1]
    v = torch.einsum("ph,blh->blp", B_bar, u.to(B_bar.dtype))      # [B, L, P] complex
    K = _powers(log_lam_bar, L).transpose(0, 1)                      # [L, P]
    x = fft_causal_conv(v, K)                                        # [B, L, P]
    return c * torch.einsum("hp,blp->blh", C, x).real + u * D


class LRU(_DiagSSM):
    """`lru`: Linear Recurrent Unit (Orvieto et al. 2023).

    lambda = exp(-exp(nu_log) + i exp(theta_log))            (LRU eq. 6, exponential parametrization)
    h_t = lambda * h_{t-1} + gamma * (B u_t),  gamma = exp(gamma_log)   (eq. 7, normalization)
    y_t = Re(C h_t) + D * u_t
    Init (LRU Sec. 3.2, Lemma 3.2): |lambda| uniform on the ring [r_min, r_max],
    arg(lambda) ~ U[0, max_phase]; gamma_log = log sqrt(1 - |lambda|^2); B ~ CN(0, 1/(2H)) per part
    (glorot-like, as the paper's code), C ~ CN(0, 1/N), D ~ N(0, 1).
    """
    kind = "lru"

    def __init__(self, d, n, name=None, r_min=0.9, r_max=0.999, max_phase=2 * math.pi):
        super().__init__(name, d, d)
        H, N = d, n
        self.n = int(n)
        u1 = torch.rand(N)
        u2 = torch.rand(N).clamp_min(1e-4)
        nu_log = torch.log(-0.5 * torch.log(u1 * (r_max ** 2 - r_min ** 2) + r_min ** 2))
        self.nu_log = nn.Parameter(nu_log)
        self.theta_log = nn.Parameter(torch.log(max_phase * u2))
        mod = torch.exp(-torch.exp(nu_log))
        self.gamma_log = nn.Parameter(torch.log(torch.sqrt(1 - mod ** 2)))
        self.B_re = nn.Parameter(torch.randn(N, H) / math.sqrt(2 * H))
        self.B_im = nn.Parameter(torch.randn(N, H) / math.sqrt(2 * H))
        self.C_re = nn.Parameter(torch.randn(H, N) / math.sqrt(N))
        self.C_im = nn.Parameter(torch.randn(H, N) / math.sqrt(N))
        self.D = nn.Parameter(torch.randn(H))

    def _log_lam(self):
        return _cplx(-torch.exp(self.nu_log), torch.exp(self.theta_log))

    def discrete(self):
        lam = torch.exp(self._log_lam())
        B_bar = torch.exp(self.gamma_log).unsqueeze(-1) * _cplx(self.B_re, self.B_im)
        return lam, B_bar, _cplx(self.C_re, self.C_im)

    def forward(self, u):
        lam, B_bar, C = self.discrete()
        return _diag_state_forward(u, lam, self._log_lam(), B_bar, C, self.D, 1.0)

    def init_state(self, batch, like):
        return torch.zeros(batch, self.n, dtype=_cdtype(like), device=like.device)

    def step(self, u, h):
        lam, B_bar, C = self._cached()
        h = lam * h + u.to(B_bar.dtype) @ B_bar.transpose(0, 1)
        y = (h @ C.transpose(0, 1)).real + self.D * u
        return y, h


def hippo_n_diag(P):
    """Diagonalized HiPPO-N (normal part of HiPPO-LegS), as in S5's make_DPLR_HiPPO.

    A_LegS[n,k] = -sqrt(2n+1)sqrt(2k+1) (n>k), -(n+1) (n=k), 0 (n<k); with p_n = sqrt(n+1/2),
    S = A + p p^T = -1/2 I + (skew-symmetric). Returns (Lambda [P] complex, V [P,P] unitary) with
    S = V diag(Lambda) V^H. Deterministic (no RNG), numpy float64.
    """
    n = np.arange(P)
    q = np.sqrt(2 * n + 1.0)
    A = -np.tril(np.outer(q, q)) + np.diag(n)        # diagonal: -(2n+1) + n = -(n+1)
    p = np.sqrt(n + 0.5)
    S = A + np.outer(p, p)
    S_skew = (S - S.T) / 2.0
    lam_im, V = np.linalg.eigh(S_skew * -1j)
    # Each eigenvector is defined up to a phase, which differs between LAPACK builds (OpenBLAS,
    # reference): fix it so that its first component is real and positive (never 0 here).
    V = V * (np.abs(V[0]) / V[0])[None, :]
    lam = -0.5 + 1j * lam_im
    return lam, V


class S5(_DiagSSM):
    """`s5`: MIMO diagonal SSM (Smith et al. 2023), H in/out channels, P complex states.

    Lambda = -exp(log_Lambda_real) + i Lambda_imag, Delta = exp(log_step) [P]  (per-state timescale)
    ZOH (S5 eq. 6):      Lambda_bar = exp(Lambda Delta), B_bar = (Lambda_bar - 1)/Lambda * B_tilde
    bilinear (S5 App. C): BL = 1/(1 - Delta/2 Lambda), Lambda_bar = BL (1 + Delta/2 Lambda), B_bar = BL Delta B_tilde
    x_t = Lambda_bar * x_{t-1} + B_bar u_t;  y_t = c Re(C_tilde x_t) + D * u_t, c = 2 if conj else 1.
    Init (S5 Sec. 4.3, App. B): Lambda, V from diagonalized HiPPO-N of size 2P (conj: keep P of
    each conjugate pair) or P; B_tilde = V^H B with B lecun-normal; C_tilde ~ CN(0, 1) (S5's
    "complex_normal"); log_step ~ U[log 1e-3, log 1e-1]; D ~ N(0, 1).
    """
    kind = "s5"

    def __init__(self, d, p, disc="zoh", conj=True, name=None, dt_min=1e-3, dt_max=1e-1):
        super().__init__(name, d, d)
        if disc not in ("zoh", "bilinear"):
            raise ValueError("s5 disc must be 'zoh' or 'bilinear', not %r" % (disc,))
        H, P = d, p
        self.p, self.disc, self.conj = int(p), disc, bool(conj)
        full = 2 * P if conj else P
        lam, V = hippo_n_diag(full)
        lam, V = lam[:P], V[:, :P]
        B = torch.randn(full, H).double().numpy() / math.sqrt(H)        # lecun normal
        Bt = V.conj().T @ B                                                # [P, H]
        self.log_Lambda_real = nn.Parameter(torch.tensor(np.log(-lam.real), dtype=torch.float32))
        self.Lambda_imag = nn.Parameter(torch.tensor(lam.imag, dtype=torch.float32))
        self.log_step = nn.Parameter(_uniform_log(P, dt_min, dt_max))
        self.B_re = nn.Parameter(torch.tensor(Bt.real, dtype=torch.float32))
        self.B_im = nn.Parameter(torch.tensor(Bt.imag, dtype=torch.float32))
        self.C_re = nn.Parameter(torch.randn(H, P) * math.sqrt(0.5))
        self.C_im = nn.Parameter(torch.randn(H, P) * math.sqrt(0.5))
        self.D = nn.Parameter(torch.randn(H))

    def discrete(self):
        Lam = _cplx(-torch.exp(self.log_Lambda_real), self.Lambda_imag)
        step = torch.exp(self.log_step)
        Bt = _cplx(self.B_re, self.B_im)
        if self.disc == "zoh":
            lam_bar = torch.exp(Lam * step)
            B_bar = ((lam_bar - 1) / Lam).unsqueeze(-1) * Bt
        else:
            BL = 1 / (1 - step / 2 * Lam)
            lam_bar = BL * (1 + step / 2 * Lam)
            B_bar = (BL * step).unsqueeze(-1) * Bt
        return lam_bar, B_bar, _cplx(self.C_re, self.C_im)

    def forward(self, u):
        lam_bar, B_bar, C = self.discrete()
        if self.disc == "zoh":
            log_lam = _cplx(-torch.exp(self.log_Lambda_real), self.Lambda_imag) * torch.exp(self.log_step)
        else:
            log_lam = torch.log(lam_bar)
        return _diag_state_forward(u, lam_bar, log_lam, B_bar, C, self.D, 2.0 if self.conj else 1.0)

    def init_state(self, batch, like):
        return torch.zeros(batch, self.p, dtype=_cdtype(like), device=like.device)

    def step(self, u, x):
        lam_bar, B_bar, C = self._cached()
        x = lam_bar * x + u.to(B_bar.dtype) @ B_bar.transpose(0, 1)
        y = (2.0 if self.conj else 1.0) * (x @ C.transpose(0, 1)).real + self.D * u
        return y, x


def selective_scan_sequential(x, dt, A, Bm, Cm):
    """Reference Mamba scan (Mamba Alg. 2 / selective_scan_ref), one time step at a time.

    h_t[e,n] = exp(dt_t[e] A[e,n]) h_{t-1}[e,n] + dt_t[e] B_t[n] x_t[e];  y_t[e] = sum_n C_t[n] h_t[e,n]
    x, dt [B, L, E]; A [E, N]; Bm, Cm [B, L, N]. Returns y [B, L, E] (without the D skip).
    """
    Bsz, L, E = x.shape
    h = x.new_zeros(Bsz, E, A.shape[1])
    ys = []
    for t in range(L):
        dA = torch.exp(dt[:, t, :, None] * A)
        h = dA * h + (dt[:, t, :, None] * Bm[:, t, None, :]) * x[:, t, :, None]
        ys.append((h * Cm[:, t, None, :]).sum(-1))
    return torch.stack(ys, dim=1)


def selective_scan_chunked(x, dt, A, Bm, Cm, chunk=64):
    """Same recurrence as selective_scan_sequential, computed in chunks of `chunk` frames.

    Inside a chunk: a Hillis-Steele inclusive scan over the affine maps h -> a h + b
    ((a1,b1) then (a2,b2) = (a2 a1, a2 b1 + b2)), log2(chunk) vectorized steps; the chunk's last
    state carries into the next chunk. Stable: only products of decays in (0, 1] are formed.
    """
    Bsz, L, E = x.shape
    N = A.shape[1]
    h = x.new_zeros(Bsz, E, N)
    ys = []
    for s in range(0, L, chunk):
        dtc = dt[:, s:s + chunk, :, None]
        a = torch.exp(dtc * A)                                               # [B, l, E, N]
        b = dtc * Bm[:, s:s + chunk, None, :] * x[:, s:s + chunk, :, None]
        b = torch.cat([b[:, :1] + a[:, :1] * h.unsqueeze(1), b[:, 1:]], dim=1)
        n = a.shape[1]
        off = 1
        while off < n:
            b = torch.cat([b[:, :off], b[:, off:] + a[:, off:] * b[:, :-off]], dim=1)
            a = torch.cat([a[:, :off], a[:, off:] * a[:, :-off]], dim=1)
            off *= 2
        ys.append(torch.einsum("blen,bln->ble", b, Cm[:, s:s + chunk]))
        h = b[:, -1]
    return torch.cat(ys, dim=1)


class Mamba(SWLayer):
    """`mamba`: Mamba block with selective SSM (Gu & Dao 2023, Sec. 3, Fig. 3, Alg. 2).

    [x, z] = in_proj(u) (x first); x = SiLU(causal depthwise conv1d(x));
    [delta, B, C] = x_proj(x) (sizes R, N, N); Delta = softplus(dt_proj(delta)) (bias included);
    A = -exp(A_log); h = exp(Delta A) h + Delta B x (ZOH for A, Euler for B, as the paper's code);
    y = C h + D x; y = y * SiLU(z); out = out_proj(y).
    Init (Mamba code defaults): A_log = log(1..N) per channel (S4D-Real), D = 1,
    dt_proj.weight ~ U(+-dt_scale/sqrt(R)), dt_proj.bias = softplus^-1(dt), dt log-uniform in
    [dt_min, dt_max] floored at 1e-4; linears with PyTorch's default init, no biases except dt_proj.
    """
    kind = "mamba"

    def __init__(self, d, d_inner, d_state, d_conv, dt_rank, name=None,
                 dt_min=1e-3, dt_max=1e-1, dt_init_floor=1e-4, dt_scale=1.0, scan_chunk=64):
        super().__init__(name, d, d)
        H, E, N, K, R = d, d_inner, d_state, d_conv, dt_rank
        self.E, self.N, self.K, self.R = E, N, K, R
        self.scan_chunk = scan_chunk      # 0 -> sequential reference scan
        self.in_proj = nn.Linear(H, 2 * E, bias=False)
        self.conv1d = CausalConv1d(E, K)
        self.x_proj = nn.Linear(E, R + 2 * N, bias=False)
        self.dt_proj = nn.Linear(R, E, bias=True)
        std = dt_scale * R ** -0.5
        with torch.no_grad():
            self.dt_proj.weight.uniform_(-std, std)
            dt = torch.exp(_uniform_log(E, dt_min, dt_max)).clamp(min=dt_init_floor)
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))     # inverse softplus
        self.A_log = nn.Parameter(torch.log(torch.arange(1, N + 1, dtype=torch.float32)).repeat(E, 1))
        self.D = nn.Parameter(torch.ones(E))
        self.out_proj = nn.Linear(E, H, bias=False)

    def _ssm_inputs(self, x):
        dbc = self.x_proj(x)
        delta, Bm, Cm = torch.split(dbc, [self.R, self.N, self.N], dim=-1)
        dt = F.softplus(self.dt_proj(delta))          # log1p(exp(v)), v > 20 -> v (threshold 20)
        return dt, Bm, Cm

    def forward(self, u):
        x, z = self.in_proj(u).chunk(2, dim=-1)
        x = F.silu(self.conv1d(x))
        dt, Bm, Cm = self._ssm_inputs(x)
        A = -torch.exp(self.A_log)
        if self.scan_chunk:
            y = selective_scan_chunked(x, dt, A, Bm, Cm, self.scan_chunk)
        else:
            y = selective_scan_sequential(x, dt, A, Bm, Cm)
        y = (y + x * self.D) * F.silu(z)
        return self.out_proj(y)

    def init_state(self, batch, like):
        return (self.conv1d.init_state(batch, like), like.new_zeros(batch, self.E, self.N))

    def step(self, u, state):
        conv_state, h = state
        x, z = self.in_proj(u).chunk(2, dim=-1)
        x, conv_state = self.conv1d.step(x, conv_state)
        x = F.silu(x)
        dt, Bm, Cm = self._ssm_inputs(x)
        A = -torch.exp(self.A_log)
        h = torch.exp(dt.unsqueeze(-1) * A) * h + (dt.unsqueeze(-1) * Bm.unsqueeze(1)) * x.unsqueeze(-1)
        y = (h * Cm.unsqueeze(1)).sum(-1) + self.D * x
        y = y * F.silu(z)
        return self.out_proj(y), (conv_state, h)
