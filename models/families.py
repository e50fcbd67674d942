"""Constraint family names: the same strings in the docs, the result tables and the messages."""

STOCK_BALANCE = "stock-balance"
STOCKPILE_FLOOR = "stockpile-floor"
WINDOW_TOTAL = "window-total"
COUNTRY_SHARE_CAP = "country-share-cap"
EXPANSION_CAPACITY = "expansion-capacity"
EXCLUSIVE_OPTIONS = "exclusive-options"
OPTION_REQUIRES = "option-requires"
CONTRACT_VOLUME = "contract-volume"
CONTRACT_PAID = "contract-paid"
TAKE_OR_PAY = "take-or-pay"
ANNUAL_BUDGET = "annual-budget"
OFFER_CAPACITY = "offer-capacity"
STORAGE_CAPACITY = "storage-capacity"
PROCESS_CAPACITY = "process-capacity"
SALES_LIMIT = "sales-limit"
LEAD_TIME = "lead-time"

ROW_FAMILIES = (
    STOCK_BALANCE,
    STOCKPILE_FLOOR,
    WINDOW_TOTAL,
    COUNTRY_SHARE_CAP,
    EXPANSION_CAPACITY,
    EXCLUSIVE_OPTIONS,
    OPTION_REQUIRES,
    CONTRACT_VOLUME,
    CONTRACT_PAID,
    TAKE_OR_PAY,
    ANNUAL_BUDGET,
)
BOUND_FAMILIES = (OFFER_CAPACITY, STORAGE_CAPACITY, PROCESS_CAPACITY, SALES_LIMIT)

DESCRIPTIONS = {
    STOCK_BALANCE: "stock[m,t] = stock[m,t-1] + sum_s arrive[m,s,t] + sum_u yield[u,m] run[u,t] "
    "- sum_u input[u,m] run[u,t] - sell[m,t] - dispose[m,t] + shortfall[m,t] - demand[m,t]",
    STOCKPILE_FLOOR: "stock[m,t] >= cover_months[m] * demand[m,t] from stockpile_from on",
    WINDOW_TOTAL: "total[m,w] = sum_{s, t in w} arrive[m,s,t] "
    "+ sum_{u, t in w} yield[u,m] run[u,t]",
    COUNTRY_SHARE_CAP: "sum_{s in c, t in w} arrive[m,s,t] + sum_{u in c, t in w} yield[u,m] "
    "run[u,t] <= max_share[c,m] * total[m,w]",
    EXPANSION_CAPACITY: "run[u,t] <= capacity[u] * build[o] for the unit u of option o",
    EXCLUSIVE_OPTIONS: "sum_{o in g} build[o] <= 1 for each exclusive group g",
    OPTION_REQUIRES: "build[o] <= build[r] for an option o that requires r",
    CONTRACT_VOLUME: "sum_m arrive[k,m,t] <= max_t_per_month[k] * sign[k]",
    CONTRACT_PAID: "paid[k,t] >= sum_m arrive[k,m,t]",
    TAKE_OR_PAY: "paid[k,t] >= min_t_per_month[k] * sign[k]",
    ANNUAL_BUDGET: "purchases + contracts + processing + capital in year y <= budget",
    OFFER_CAPACITY: "arrive[m,s,t] <= capacity_t_per_month[s,m,t]",
    STORAGE_CAPACITY: "stock[m,t] <= storage_capacity_t[m]",
    PROCESS_CAPACITY: "run[u,t] <= capacity_t_per_month[u] for an existing process",
    SALES_LIMIT: "sell[m,t] <= sale_limit_t_per_month[m]",
    LEAD_TIME: "arrive[m,s,t] exists only from start + lead_time_months[s] on",
}
