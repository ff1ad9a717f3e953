#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metric.h"

namespace streamgate::common::metrics {

// A series' labels, names and values both fixed at registration: label values are codes,
// outcomes and configured names, never anything a client chooses, so the number of series
// is known at start-up.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Every metric of one process and their rendering in Prometheus's text exposition format
// 0.0.4. Owned by main (one per process) and outliving everything that updates its series.
// Registration takes a lock and may run on any thread, but belongs at start-up: a series is
// registered once and then updated through the reference it returns, lock-free. Render runs
// on whichever thread serves /metrics.
//
// A name may be registered several times with different labels: the series then form one
// family, which must keep one type, help text and set of label names. A name or label set
// registered twice, or an invalid name, is a bug and aborts.
class Registry {
 public:
  Counter& AddCounter(const std::string& name, const std::string& help, Labels labels = {});
  Gauge& AddGauge(const std::string& name, const std::string& help, Labels labels = {});
  Histogram& AddHistogram(const std::string& name, const std::string& help,
                          std::span<const double> bounds, Labels labels = {});

  // A series computed when scraped (process figures, a depth read from its owner); `read`
  // runs on the scraping thread, so it must be thread-safe and cheap.
  void AddGaugeFunction(const std::string& name, const std::string& help, Labels labels,
                        std::function<double()> read);
  void AddCounterFunction(const std::string& name, const std::string& help, Labels labels,
                          std::function<double()> read);

  // The whole exposition, families in registration order.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> read;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<Series> series;
  };

  Series& Add(const std::string& name, const std::string& help, Type type, Labels labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  static void RenderFamily(const Family& family, std::string* out);

  mutable absl::Mutex mutex_;
  std::vector<Family> families_ ABSL_GUARDED_BY(mutex_);
};

// The content type of Render's output, for the HTTP response.
inline constexpr char kExpositionContentType[] = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace streamgate::common::metrics
