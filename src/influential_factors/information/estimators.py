"""Estimators of I(x; z_h) beside the paper's Algorithm 1 (mi.py), all on the same saved posteriors.

Notation: q(z_h|x_m) = N(mu_hm, sigma_hm^2) for M samples, the aggregate posterior
q(z_h) = 1/M sum_m q(z_h|x_m), the prior p = N(0, 1).

- Free-mean q*: N(m_h, s_h^2) with m_h = mean_m mu_hm and s_h^2 = mean_m [sigma_hm^2 + (mu_hm - m_h)^2]
  minimises mean_m KL(q(z_h|x_m) || N(m, s^2)) over both parameters, so
  I_free = 1/2 [log s_h^2 - mean_m log sigma_hm^2] <= I_est (Algorithm 1's zero-mean q*); both are
  upper bounds, I + KL(q(z_h) || q*).
- Mixture (consistent): I(x; z_h) = E_m E_{z~q(z_h|x_m)} [log q(z_h|x_m) - log 1/M sum_n q(z_h|x_n)],
  Monte Carlo over z, exact over the M samples; the same with the whole code gives I(x; z), and the
  total correlation TC(z) = sum_h I(x; z_h) - I(x; z) (the posteriors factorise given x). Per factor,
  q(z_h) is a 1-D Gaussian mixture wanted at M points: the sharp posteriors are summed over windows of
  sorted means, the broad ones interpolated by Chebyshev polynomials, each with a proven error bound, and
  points the bounds do not settle are summed in full: within 1e-9 nats, in about O(M log M), not M^2. The
  whole code's mixture sums the posteriors that a matrix product (the quadratic form over the factors that
  spread most) does not rule out.
- The paper's earlier version: mean KL to the prior, mean KL(q(z_h|x) || p) = I + KL(q(z_h) || p);
  mean KL to q* (= I_est); their difference, which equals KL(q*_h || p) exactly for the moment-matched
  zero-mean q* and is a lower bound on KL(q(z_h) || p) = KL(q*_h || p) + KL(q(z_h) || q*_h).
- Baselines: per-dimension KL to the prior (disentangling-vae's log) and active units,
  Var_m mu_hm > 0.01 (Burda et al. 2016).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from tqdm import tqdm

from ..models.gaussian import kl_normal
from .mi import check_posteriors, optimal_prior_variance

ACTIVE_UNIT_THRESHOLD = 0.01
LOG_2PI = math.log(2 * math.pi)
MIXTURE_TOLERANCE = 1e-9  # nats: every log q(z_h) of the mixture estimator is within it of the exact mixture
CHEBYSHEV_NODES = 32  # interpolation nodes per panel
CRAMER = 1.086435  # Cramer's inequality: |He_k(x)| exp(-x^2 / 4) <= CRAMER sqrt(k!) for every k and x
BLOCK_ELEMENTS = 1 << 22  # the most density evaluations held at once (32 MB of float64)
TILE = 64  # queries summed together over one run of sorted means
FLOOR_QUERIES = 9  # the error budget is sized to the least mixture density at this many of a factor's queries
SUM_ROUNDING = 256  # eps, relative: float64 rounding of a sum of densities (exponents under ~100, each within 2 eps)
OCTAVES = 8  # sigma groups per factor; the last holds every sigma above sigma_min 2^(OCTAVES - 1)
LEBESGUE = 2 / math.pi * math.log(CHEBYSHEV_NODES) + 1  # Chebyshev interpolation amplifies errors at most this much
SCREENED = 16  # factors whose partial quadratic form screens the joint mixture's posteriors
DENSE_SHARE = 64  # the joint sums a block densely when over 1 / DENSE_SHARE of its posteriors pass the screen


def free_mean_information(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """I_free(x; z_h) = 1/2 [log s_h^2 - mean_m log sigma_h^2] with q* = N(m_h, s_h^2) fitted by moments."""
    mu, logvar = check_posteriors(mu, logvar)
    spread = np.mean(np.exp(logvar), axis=0) + np.var(mu, axis=0)
    return 0.5 * (np.log(spread) - logvar.mean(axis=0))


def kl_to_prior(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """mean_m KL(q(z_h|x_m) || N(0, 1)) per factor: the usual per-dimension KL of a VAE's loss."""
    mu, logvar = check_posteriors(mu, logvar)
    return kl_normal(mu, logvar).mean(axis=0)


def optimal_prior_kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(q*_h || N(0, 1)) = 1/2 (s_h^2 - 1 - log s_h^2) for the paper's zero-mean q*_h = N(0, s_h^2)."""
    s2 = optimal_prior_variance(mu, logvar)
    return 0.5 * (s2 - 1.0 - np.log(s2))


def active_units(mu: np.ndarray, threshold: float = ACTIVE_UNIT_THRESHOLD) -> np.ndarray:
    """True for factors whose posterior mean varies over the data: Var_m mu_h(x_m) > threshold."""
    return np.var(np.asarray(mu, dtype=np.float64), axis=0) > threshold


def mixture_draws(mu: torch.Tensor, logvar: torch.Tensor, samples: int = 1, batch_size: int = 16,
                  seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The mixture estimator's queries z = mu_m + sigma_m * noise, `samples` per posterior, and log q(z|x_m) at
    each, as (samples * M, H) tensors like mu. The noise comes from a seeded CPU generator, `batch_size`
    posteriors at a time with `samples` draws each: the estimator's order since its first version."""
    generator = torch.Generator().manual_seed(seed)
    count, factors = mu.shape
    blocks = [[torch.randn(min(batch_size, count - start), factors, generator=generator) for _ in range(samples)]
              for start in range(0, count, batch_size)]
    noise = torch.stack([torch.cat(draws) for draws in zip(*blocks)]).to(mu)  # (samples, M, H)
    z = mu + torch.exp(0.5 * logvar) * noise
    log_own = -0.5 * (LOG_2PI + logvar + noise**2)
    return z.flatten(0, 1), log_own.flatten(0, 1)


def run_sums(points: torch.Tensor, first: torch.Tensor, span: torch.Tensor, mu: torch.Tensor,
             logvar: torch.Tensor) -> torch.Tensor:
    """sum_n N(x; mu_n, sigma_n^2) over n = first[i], ..., first[i] + span[i] - 1, at every x in row i of `points`:
    dense over each row's run of posteriors, rows batched (longest runs first) into blocks of BLOCK_ELEMENTS."""
    sums = torch.zeros_like(points)
    by_span = torch.argsort(span, descending=True)[:int(torch.count_nonzero(span))]
    if len(by_span) == 0:
        return sums
    longest = span[by_span].tolist()
    parameters = torch.stack([mu, -0.5 * torch.exp(-logvar), -0.5 * (LOG_2PI + logvar)])
    parameters = torch.cat([parameters, parameters.new_zeros(3, longest[0])], 1)  # runs may read past the end
    workspace = torch.empty(max(BLOCK_ELEMENTS, points.shape[1] * longest[0]), dtype=mu.dtype, device=mu.device)
    start = 0
    while start < len(longest):  # a block of rows holds runs as long as its first one
        length = longest[start]
        rows = by_span[start:start + max(1, BLOCK_ELEMENTS // (points.shape[1] * length))]
        start += len(rows)
        mean, neg_half_precision, log_norm = parameters.unfold(1, length, 1)[:, first[rows]]
        log_norm = log_norm.masked_fill(torch.arange(length, device=mu.device) >= span[rows, None], -math.inf)
        terms = workspace[:len(rows) * points.shape[1] * length].view(len(rows), points.shape[1], length)
        torch.sub(points.index_select(0, rows)[:, :, None], mean[:, None, :], out=terms).square_()
        torch.addcmul(log_norm[:, None, :], neg_half_precision[:, None, :], terms, out=terms).exp_()
        sums[rows] = terms.sum(2)
    return sums


def octave_plan(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, octave: torch.Tensor,
                log_budget: torch.Tensor, nodes: int = CHEBYSHEV_NODES) -> dict[str, torch.Tensor]:
    """Per factor (rows, z sorted), the first octave of sigma to interpolate (the sharper ones are summed at the
    queries) for the fewest density evaluations; the finest panels; each octave's window reach T sigma_max; and
    the error bound (approximate_mixture's docstring), each part within exp(log_budget)."""
    factors, count = mu.shape
    device = z.device

    def per_octave(values: torch.Tensor, reduce: str = "sum") -> torch.Tensor:
        return torch.zeros(factors, OCTAVES, dtype=values.dtype, device=device).scatter_reduce_(
            1, octave, values, reduce, include_self=False)

    sigma = torch.exp(0.5 * logvar)
    log_inverse_sigma = torch.log(per_octave(1 / sigma) / count) - 0.5 * LOG_2PI  # log phi(0)/M sum_n 1/sigma_n
    width = torch.sqrt(torch.clamp(2 * (log_inverse_sigma - log_budget + math.log(OCTAVES * LEBESGUE)), min=0))
    window_bound = torch.exp(log_inverse_sigma - 0.5 * width**2)
    reach = width * per_octave(sigma, "amax")
    exponent = -0.5 * (nodes + 1) * logvar
    peak = per_octave(exponent, "amax")
    log_moment = torch.log(per_octave(torch.exp(exponent - peak.gather(1, octave)))) + peak  # sum sigma^-(K+1)

    # first interpolated octave c = 0, ..., OCTAVES (none); octave g >= c on panels 2^(g - c) times the finest
    above = (torch.arange(OCTAVES, device=device) - torch.arange(OCTAVES + 1, device=device)[:, None]).clamp(min=-1)
    log_constant = (math.log(2 * CRAMER) - 0.5 * LOG_2PI - 0.5 * math.lgamma(nodes + 1) - nodes * math.log(4)
                    - math.log(count) + torch.logsumexp(torch.where(
                        above >= 0, nodes * math.log(2) * above + log_moment[:, None, :], -math.inf), 2))
    depth = torch.clamp(octave.amax(1, keepdim=True) + 1 - torch.arange(OCTAVES + 1, device=device), min=0)
    coarsest = 2.0 ** torch.clamp(depth - 1, min=0)  # the finest panels come in whole coarsest ones
    length = torch.clamp(z[:, -1:] - z[:, :1], min=torch.finfo(z.dtype).tiny)
    panels = torch.where(depth > 0, coarsest * torch.clamp(
        torch.ceil(length * torch.exp((log_constant - log_budget) / nodes) / coarsest), min=1), 0)
    # density evaluations: windows at the queries below c, windowed sums at the nodes from c on, Clenshaw
    spread = torch.clamp(mu.amax(1) - mu.amin(1), min=torch.finfo(z.dtype).tiny)[:, None, None]
    node_work = (nodes * panels[:, :, None] / 2.0**above * per_octave(torch.ones_like(mu))[:, None, :]
                 * torch.clamp(((length / panels)[:, :, None] * 2.0**above + 2 * reach[:, None, :]) / spread, max=1))
    near = length / 64  # queries per unit length around each mean, over +-near
    density = (torch.searchsorted(z, mu + near, right=True) - torch.searchsorted(z, mu - near)) / (2 * near)
    query_work = 2 * reach * per_octave(density)
    cost = (torch.where(above < 0, query_work[:, None, :], node_work).sum(2)
            + nodes * z.shape[1] * (depth > 0))
    first = torch.argmin(cost, dim=1, keepdim=True)
    panels = panels.gather(1, first)[:, 0]
    panel_width = torch.where(panels > 0, length[:, 0] / panels.clamp(min=1), 0)
    interpolated = above[first[:, 0]] >= 0
    return {
        "first": first[:, 0], "depth": depth.gather(1, first)[:, 0], "panels": panels.long(),
        "panel_width": panel_width, "reach": reach,
        "bound": (torch.where(interpolated, LEBESGUE * window_bound, window_bound).sum(1)
                  + torch.exp(log_constant.gather(1, first)[:, 0] + nodes * torch.log(panel_width))),
    }


def nested_chebyshev(z: torch.Tensor, plan: dict[str, torch.Tensor],
                     runs: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
                     mu: torch.Tensor, logvar: torch.Tensor,
                     nodes: int = CHEBYSHEV_NODES) -> tuple[torch.Tensor, torch.Tensor]:
    """The interpolated octaves' 1/M sum_n N(z; mu_n, sigma_n^2) per factor (rows of sorted z), and the bound on
    Clenshaw's rounding. Octave plan["first"] + l is interpolated on panels 2^l times the finest, from windowed
    sums at K Chebyshev nodes per panel (`runs(band, low, high)` finds an octave's posteriors with means in
    [low, high]); from the coarsest level down, each adds the coarser interpolants restricted to its panels,
    exactly: a polynomial of degree < K on half its panel is one of degree < K there."""
    count = len(mu) // len(z)
    factor = torch.arange(len(z), device=z.device)
    depth, panels, width, reach = plan["depth"], plan["panels"], plan["panel_width"], plan["reach"]
    angles = (nodes - 0.5 - torch.arange(nodes, dtype=z.dtype, device=z.device)) * math.pi / nodes  # cos ascending
    degrees = torch.arange(nodes, dtype=z.dtype, device=z.device)
    to_series = torch.cos(angles[:, None] * degrees) * (2 / nodes)  # values at the nodes -> c_k (DCT-II)
    to_series[:, 0] /= 2
    halves = torch.stack([torch.cos(degrees[:, None] * torch.arccos((torch.cos(angles) + side) / 2)) @ to_series
                          for side in (-1, 1)])  # a series' c_k -> its left and right half's
    coefficients, offsets = None, None
    for level in reversed(range(int(depth.max()))):
        rows = torch.where(depth > level, panels >> level, 0)
        owner = torch.repeat_interleave(factor, rows)
        local = torch.arange(len(owner), device=z.device) - (torch.cumsum(rows, 0) - rows)[owner]
        level_width = width[owner] * 2**level
        centres = z[owner, 0] + (local + 0.5) * level_width
        octave = plan["first"][owner] + level
        first, span = runs(owner * OCTAVES + octave, centres - 0.5 * level_width - reach[owner, octave],
                           centres + 0.5 * level_width + reach[owner, octave])
        points = centres[:, None] + 0.5 * level_width[:, None] * torch.cos(angles)
        level_coefficients = run_sums(points, first, span, mu, logvar) / count @ to_series
        if coefficients is not None:
            parent = (offsets[owner] + local // 2).clamp(max=len(coefficients) - 1)
            restricted = (coefficients[parent, None, :] @ halves[local % 2])[:, 0]
            level_coefficients += torch.where((depth[owner] > level + 1)[:, None], restricted, 0)
        coefficients, offsets = level_coefficients, torch.cumsum(rows, 0) - rows
    if coefficients is None:
        return torch.zeros_like(z), torch.zeros_like(z)
    position = (z - z[:, :1]) / width[:, None].clamp(min=torch.finfo(z.dtype).tiny)
    local = torch.minimum(torch.floor(position), (panels[:, None] - 1).clamp(min=0))
    panel = (offsets[:, None] + local.long()).clamp(max=len(coefficients) - 1)
    t = torch.clamp(2 * (position - local) - 1, -1, 1)
    series, twice_t = coefficients.T.contiguous(), 2 * t
    later, latest = torch.zeros_like(z), torch.zeros_like(z)  # Clenshaw: b_k = c_k + 2 t b_(k+1) - b_(k+2)
    for coefficient in series.flip(0)[:-1]:
        later, latest = torch.addcmul(torch.take(coefficient, panel) - latest, twice_t, later), later
    value = torch.addcmul(torch.take(series[0], panel) - latest, t, later)
    rounding = 4 * nodes**2 * torch.finfo(z.dtype).eps * torch.take(coefficients.abs().sum(1), panel)
    has_levels = (depth > 0)[:, None]
    return torch.where(has_levels, value, 0), torch.where(has_levels, rounding, 0)


def approximate_mixture(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                        tolerance: float = MIXTURE_TOLERANCE) -> tuple[torch.Tensor, torch.Tensor]:
    """q(z_h) = 1/M sum_n N(z; mu_nh, sigma_nh^2) for every factor h (rows: z (H, queries) sorted, mu and logvar
    (H, M)) in about O((M + queries) log M) per factor, and a bound E on each value's error.

    A factor's posteriors are grouped in octaves of sigma (sigma_min 2^g <= sigma < sigma_min 2^(g+1), the last
    one open). The sharp octaves are summed at every query over a window of sorted means, |z - mu_n| <= T sigma_max:
    each one left out has N(z; mu_n, sigma_n^2) < phi(T) / sigma_n, so an octave's sum misses less than
        phi(T) / M sum_n 1 / sigma_n.
    The broad octaves are interpolated (nested_chebyshev) from such windowed sums at K = 32 Chebyshev nodes per
    panel, whose error the interpolation grows at most by Lebesgue's constant 2/pi log K + 1. On a panel of width
    w, interpolating leaves f^(K)(xi) / K! prod_j (z - z_j) with |prod_j (z - z_j)| <= 2 (w/4)^K, and by Cramer's
    inequality |He_K(x)| exp(-x^2/4) <= 1.0865 sqrt(K!) the K-th derivative of N(.; mu_n, sigma_n^2) is at most
    1.0865 sqrt(K!) / (sqrt(2 pi) sigma_n^(K+1)), so an octave's interpolant is off by at most
        2.173 / sqrt(2 pi K!) (w/4)^K 1/M sum_n sigma_n^-(K+1),
    plus Clenshaw's rounding, under 4 K^2 eps sum_k |c_k|. E is the sum of these bounds and of the sums' own
    rounding, SUM_ROUNDING eps q (each term's exponent, exp and the pairwise sum); octave_plan picks the split for
    the fewest density evaluations, and T and w for an E within `tolerance` / 2 times the least q at FLOOR_QUERIES
    queries evenly spaced by rank (the extreme ones among them).
    """
    factors, count = mu.shape
    queries, device = z.shape[1], z.device
    factor = torch.arange(factors, device=device)
    sampled = z[:, torch.linspace(0, queries - 1, FLOOR_QUERIES, device=device).long()]  # evenly by rank
    floor = run_sums(sampled, factor * count, torch.full_like(factor, count), mu.flatten(),
                     logvar.flatten()).amin(1) / count
    octave = torch.clamp(((logvar - logvar.amin(1, keepdim=True)) / (2 * math.log(2))).long(), max=OCTAVES - 1)
    plan = octave_plan(z, mu, logvar, octave, torch.log(tolerance * floor / 4)[:, None])

    # posteriors sorted by one key per factor, octave and mean: a window is a run found by searchsorted
    reach = plan["reach"].max()
    base = torch.minimum(mu.min(), z.min()) - reach - 1
    stride = torch.maximum(mu.max(), z.max()) + reach + 1 - base
    slack = 8 * torch.finfo(z.dtype).eps * factors * OCTAVES * stride
    keys, layout = torch.sort((factor[:, None] * OCTAVES + octave) * stride + (mu - base), dim=1)
    keys, mu, logvar = keys.flatten(), mu.gather(1, layout).flatten(), logvar.gather(1, layout).flatten()

    def runs(band: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        first = torch.searchsorted(keys, band * stride + (low - base) - slack)
        return first, torch.searchsorted(keys, band * stride + (high - base) + slack, right=True) - first

    # sharp octaves: TILE sorted queries at a time, over the union of their windows in each octave below the first
    tiles = torch.cat([z, z[:, -1:].expand(-1, -queries % TILE)], 1).view(factors, -1, TILE)
    reach = plan["reach"][:, :, None]
    first, span = runs((factor[:, None] * OCTAVES + torch.arange(OCTAVES, device=device))[:, :, None],
                       tiles[:, None, :, 0] - reach, tiles[:, None, :, -1] + reach)
    span *= torch.arange(OCTAVES, device=device)[:, None] < plan["first"][:, None, None]
    tile = torch.arange(factors * tiles.shape[1], device=device).view(factors, 1, -1).expand_as(span)
    used = span > 0
    windowed = torch.zeros(factors * tiles.shape[1], TILE, dtype=z.dtype, device=device).index_add_(
        0, tile[used], run_sums(tiles.flatten(0, 1)[tile[used]], first[used], span[used], mu, logvar))

    interpolated, rounding = nested_chebyshev(z, plan, runs, mu, logvar)
    density = windowed.view(factors, -1)[:, :queries] / count + interpolated
    return density, plan["bound"][:, None] + rounding + SUM_ROUNDING * torch.finfo(z.dtype).eps * density


def factor_log_mixtures(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                        tolerance: float = MIXTURE_TOLERANCE) -> torch.Tensor:
    """log q(z_h) = log 1/M sum_n N(z; mu_nh, sigma_nh^2) for every factor h (rows: z (H, queries), mu and logvar
    (H, M)), each within `tolerance` nats: approximate_mixture's q_hat with its bound E gives
    |log q_hat - log q| <= E / (q_hat - E), and every query where that reaches `tolerance` is summed exactly."""
    z, order = torch.sort(z, dim=1)
    density, bound = approximate_mixture(z, mu, logvar, tolerance)
    inexact = bound >= tolerance * (density - bound)
    if inexact.any():
        factor = torch.arange(len(z), device=z.device)[:, None].expand_as(z)[inexact]
        density[inexact] = run_sums(z[inexact, None], factor * mu.shape[1], torch.full_like(factor, mu.shape[1]),
                                    mu.flatten(), logvar.flatten())[:, 0] / mu.shape[1]
    return torch.empty_like(z).scatter_(1, order, torch.log(density))


def joint_log_mixture(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, lower: torch.Tensor) -> torch.Tensor:
    """log 1/M sum_n N(z; mu_n, diag sigma_n^2) for every row of z, given `lower` <= log N(z; mu_m, sigma_m^2) for
    some m (the query's own posterior), so below the log sum.

    The quadratic form is a matrix product, sum_h (z_h - mu_nh)^2 / sigma_nh^2 = [z^2, z] . [1 / sigma_n^2,
    -2 mu_n / sigma_n^2] + sum_h mu_nh^2 / sigma_nh^2 (float64, means centred: the form is translation invariant).
    Over the SCREENED factors whose means spread most it bounds log N(z; mu_n, sigma_n^2) <= U_n(z) (the other
    squares are >= 0): posteriors with U_n(z) < lower - log M - 40 add less than e^-40 of the sum and are left out,
    the others summed exactly; blocks of queries where over 1 / DENSE_SHARE of the posteriors stay go densely.
    """
    count, factors = mu.shape
    centre = mu.mean(0)
    mu, z = mu - centre, z - centre
    precision = torch.exp(-logvar)
    log_norm = -0.5 * (factors * LOG_2PI + logvar.sum(1))

    def quadratic_form(columns):
        weights = torch.cat([-0.5 * precision[:, columns], (mu * precision)[:, columns]], dim=1).T
        return weights, log_norm - 0.5 * (mu[:, columns] ** 2 * precision[:, columns]).sum(1)

    screened = (mu.var(0) * precision.mean(0)).argsort(descending=True)[:SCREENED]  # spread in sigmas
    (screen, screen_offset), (full, full_offset) = quadratic_form(screened), quadratic_form(slice(None))
    rows = max(1, BLOCK_ELEMENTS // count)
    results = []
    for block, floor in zip(z.split(rows), (lower - math.log(count) - 40).split(rows)):
        upper = torch.addmm(screen_offset, torch.cat([block[:, screened] ** 2, block[:, screened]], dim=1), screen)
        query, posterior = torch.nonzero(upper >= floor[:, None], as_tuple=True)
        if len(query) * DENSE_SHARE > upper.numel():
            results.append(torch.logsumexp(torch.addmm(full_offset, torch.cat([block**2, block], dim=1), full), dim=1))
            continue
        terms = log_norm[posterior] - 0.5 * ((block[query] - mu[posterior]) ** 2 * precision[posterior]).sum(1)
        peak = torch.full_like(floor, -math.inf).scatter_reduce_(0, query, terms, "amax")
        sums = torch.zeros_like(floor).index_add_(0, query, torch.exp(terms - peak[query]))
        results.append(peak + torch.log(sums))
    return torch.cat(results) - math.log(count)


def mixture_information(mu: np.ndarray, logvar: np.ndarray, samples: int = 1, batch_size: int = 16,
                        seed: int = 0, device: str | torch.device = "cpu",
                        progress: bool = False) -> tuple[np.ndarray, float]:
    """Monte Carlo I(x; z_h) per factor and I(x; z) for the whole code, with q(z) the mixture of all
    M posteriors: mean over m and `samples` draws z ~ q(z|x_m) of log q(z|x_m) - log 1/M sum_n q(z|x_n).

    Exact in the mixture and unbiased for x uniform over the M samples (so at most log M nats); it converges to
    I(x; z_h) of the data distribution as M grows. The draws are mixture_draws's (`batch_size` posteriors at a
    time, from a generator seeded with `seed`), so CPU and GPU see the same z. Every log q(z_h) is within
    MIXTURE_TOLERANCE nats of the exact mixture's (factor_log_mixtures), so the per-factor estimate is too; the
    joint leaves out under e^-40 of each sum (joint_log_mixture). All in float64 torch on `device`.
    """
    mu64, logvar64 = check_posteriors(mu, logvar)
    mu_all = torch.as_tensor(mu64, device=device)
    logvar_all = torch.as_tensor(logvar64, device=device)
    z, log_own = mixture_draws(mu_all, logvar_all, samples, batch_size, seed)
    with tqdm(total=2, desc="mixture estimator", unit="part", disable=not progress) as parts:
        log_aggregate = factor_log_mixtures(z.T.contiguous(), mu_all.T.contiguous(), logvar_all.T.contiguous())
        parts.update()
        log_own_joint = log_own.sum(1)
        log_aggregate_joint = joint_log_mixture(z, mu_all, logvar_all, log_own_joint)
        parts.update()
    per_factor = (log_own - log_aggregate.T).mean(0)
    joint = (log_own_joint - log_aggregate_joint).mean()
    if not (torch.isfinite(per_factor).all() and torch.isfinite(joint)):
        raise FloatingPointError("mixture estimator: a posterior density underflowed (a draw far from every posterior)")
    return per_factor.cpu().numpy(), float(joint)
