/// Days between 1970-01-01 and a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`), for the timestamp parsers that avoid a formatter per call.
public enum CivilDate {
    public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
