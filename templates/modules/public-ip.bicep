metadata name = 'Public IP address'
metadata description = 'A Standard, Static IPv4 public IP, zone-redundant where its owner needs it: AZ gateway SKUs, Route Server and a zonal Azure Firewall.'

@description('Required. Name of the public IP.')
param name string

@description('Required. Azure region of the public IP.')
param location string

@description('Optional. Tags put on the public IP.')
param tags object = {}

@description('Optional. Availability zones: 1, 2 and 3 for an AZ gateway SKU or a zone-redundant firewall in a region with zones; none for a non-AZ gateway or a region without zones.')
param zones string[] = []

@description('Optional. What running resources carry that gen does not design, by resource type and name (the spec\'s asDeployed).')
param asDeployed object = {}

// A running public IP keeps its zones (they cannot change: ResourceAvailabilityZonesCannotBeModified), tags and SKU.
var kept = asDeployed[?resourceId('Microsoft.Network/publicIPAddresses', name)] ?? asDeployed[?'Microsoft.Network/publicIPAddresses/${name}'] ?? {}

resource publicIp 'Microsoft.Network/publicIPAddresses@2025-05-01' = {
  name: name
  location: location
  tags: kept.?tags ?? tags
  // AZ gateway SKUs refuse public IPs without zones, non-AZ ones refuse zoned IPs, and a zonal firewall needs them in its zones.
  zones: kept.?zones ?? zones
  sku: kept.?sku ?? {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: union(
    {
      publicIPAllocationMethod: 'Static'
      publicIPAddressVersion: 'IPv4'
    },
    kept.?properties ?? {}
  )
}

@description('Resource ID of the public IP.')
output resourceId string = publicIp.id

@description('Name of the public IP.')
output name string = publicIp.name

@description('The public IP address.')
output ipAddress string = publicIp.properties.ipAddress
