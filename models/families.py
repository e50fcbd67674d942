"""Constraint family names: the same strings in the docs, the result tables and the messages."""

STOCK_BALANCE = "stock-balance"
STOCKPILE_FLOOR = "stockpile-floor"
WINDOW_TOTAL = "window-total"
COUNTRY_SHARE_CAP = "country-share-cap"
OFFER_CAPACITY = "offer-capacity"
STORAGE_CAPACITY = "storage-capacity"
LEAD_TIME = "lead-time"

ROW_FAMILIES = (STOCK_BALANCE, STOCKPILE_FLOOR, WINDOW_TOTAL, COUNTRY_SHARE_CAP)
BOUND_FAMILIES = (OFFER_CAPACITY, STORAGE_CAPACITY)

DESCRIPTIONS = {
    STOCK_BALANCE: "stock[m,t] = stock[m,t-1] + sum_s arrive[m,s,t] + shortfall[m,t] - demand[m,t]",
    STOCKPILE_FLOOR: "stock[m,t] >= cover_months[m] * demand[m,t] from stockpile_from on",
    WINDOW_TOTAL: "total[m,w] = sum_{s, t in w} arrive[m,s,t]",
    COUNTRY_SHARE_CAP: "sum_{s in c, t in w} arrive[m,s,t] <= max_share[c,m] * total[m,w]",
    OFFER_CAPACITY: "arrive[m,s,t] <= capacity_t_per_month[s,m,t]",
    STORAGE_CAPACITY: "stock[m,t] <= storage_capacity_t[m]",
    LEAD_TIME: "arrive[m,s,t] exists only from start + lead_time_months[s] on",
}
