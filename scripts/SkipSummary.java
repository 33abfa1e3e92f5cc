// Prints what the tests skipped, grouped by reason, from Surefire's XML reports: scripts/test runs it at the end of
// every run, also a failed one. A single-file program, so it needs the JDK the build needs and nothing else:
//   java scripts/SkipSummary.java [--newer FILE] DIR_OR_REPORT...
// reads each REPORT.xml named and every TEST-*.xml in each DIR (a missing one is passed over), with --newer only the
// reports modified after FILE was (the ones this run wrote, not those a deleted test class left behind).
//
// A skipped test is a <testcase> holding <skipped>: its reason is the element's message attribute, or else the first
// line of its text (Surefire writes the TestAbortedException's stack there), less the exception's class name and
// JUnit's "Assumption failed: ". Unreadable reports are named and passed over: this never fails the run.

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXParseException;
import org.xml.sax.helpers.DefaultHandler;

public final class SkipSummary {
    /** At most this many test classes are named after a reason; the rest are counted. */
    private static final int CLASSES_SHOWN = 4;

    public static void main(String[] args) {
        Map<String, Map<String, Integer>> byReason = new LinkedHashMap<>(); // reason -> test class -> skipped tests
        Map<String, Integer> totals = new LinkedHashMap<>();
        int tests = 0, skipped = 0;
        List<String> unreadable = new ArrayList<>();
        Set<String> reports = new TreeSet<>(); // absolute paths, each read once
        long newer = Long.MIN_VALUE;
        for (int a = 0; a < args.length; a++) {
            if (args[a].equals("--newer") && a + 1 < args.length) {
                newer = new File(args[++a]).lastModified();
            } else if (new File(args[a]).isDirectory()) {
                File[] in = new File(args[a]).listFiles((d, n) -> n.startsWith("TEST-") && n.endsWith(".xml"));
                if (in != null) for (File r : in) reports.add(r.getAbsolutePath());
            } else if (new File(args[a]).exists()) {
                reports.add(new File(args[a]).getAbsolutePath());
            }
        }
        final long since = newer;
        reports.removeIf(r -> new File(r).lastModified() <= since);
        if (reports.isEmpty()) {
            System.out.println("tests skipped: no test reports from this run");
            return;
        }
        for (String path : reports) {
            NodeList cases;
            try {
                DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
                f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                DocumentBuilder b = f.newDocumentBuilder();
                b.setErrorHandler(new DefaultHandler() { // no "[Fatal Error]" line on stderr: the catch below reports it
                    @Override public void fatalError(SAXParseException e) throws SAXParseException { throw e; }
                });
                cases = b.parse(new File(path)).getElementsByTagName("testcase");
            } catch (Exception e) {
                unreadable.add(path + " (" + e.getMessage() + ")");
                continue;
            }
            for (int i = 0; i < cases.getLength(); i++) {
                Element tc = (Element) cases.item(i);
                tests++;
                NodeList sk = tc.getElementsByTagName("skipped");
                if (sk.getLength() == 0) continue;
                skipped++;
                String reason = reason((Element) sk.item(0));
                String cls = tc.getAttribute("classname");
                cls = cls.substring(cls.lastIndexOf('.') + 1);
                byReason.computeIfAbsent(reason, r -> new TreeMap<>()).merge(cls.isEmpty() ? "?" : cls, 1, Integer::sum);
                totals.merge(reason, 1, Integer::sum);
            }
        }
        System.out.println("tests skipped: " + skipped + " of " + tests + (skipped == 0 ? "" : ", by reason:"));
        int width = String.valueOf(skipped).length();
        totals.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).forEach(e -> {
            Map<String, Integer> classes = byReason.get(e.getKey());
            StringBuilder where = new StringBuilder();
            int shown = 0;
            for (Map.Entry<String, Integer> c : classes.entrySet()) {
                if (shown++ == CLASSES_SHOWN) {
                    where.append(", ").append(classes.size() - CLASSES_SHOWN).append(" more");
                    break;
                }
                where.append(shown == 1 ? "" : ", ").append(c.getKey()).append(' ').append(c.getValue());
            }
            System.out.printf("  %" + width + "d  %s  [%s]%n", e.getValue(), e.getKey(), where);
        });
        for (String u : unreadable) System.out.println("  (report not read: " + u + ")");
    }

    /** The skip's reason in one line. */
    static String reason(Element skipped) {
        String r = skipped.getAttribute("message").strip();
        if (r.isEmpty()) r = skipped.getTextContent().strip();
        int nl = r.indexOf('\n');
        if (nl >= 0) r = r.substring(0, nl).strip();
        r = r.replaceFirst("^[\\w.$]+(Exception|Error): ", "").replaceFirst("^Assumption failed: ", "").strip();
        return r.isEmpty() ? "(no reason given)" : r;
    }
}
