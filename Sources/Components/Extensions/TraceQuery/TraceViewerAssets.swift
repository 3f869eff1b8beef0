/// The viewer's optional files: `TraceViewerPage` may define `javascript` and `css`; where it
/// does not, these empty defaults make `/viewer.js` and `/viewer.css` answer 404.
protocol TraceViewerAssets {
    static var javascript: String { get }
    static var css: String { get }
}

extension TraceViewerAssets {
    static var javascript: String { "" }
    static var css: String { "" }
}

extension TraceViewerPage: TraceViewerAssets {}
