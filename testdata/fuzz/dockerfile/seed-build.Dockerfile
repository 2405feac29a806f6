ARG base_image
FROM ${base_image}
USER root
RUN apt-get update && \
    apt-get install -y curl
ARG build_id=0
RUN echo ${build_id} > /tmp/build-id
ENV PATH="/opt/tools/bin:${PATH}" TOOL_HOME=/opt/tools
USER 1000:1000
